"""Workspace export jobs."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

from libs.db import Session
from libs.jobs import job
from libs.storage import upload_temporary

from .models import ExportJob, Project, Task

PAGE = 500


def iter_tasks(session: Session, project_id: int) -> Iterator[Task]:
    offset = 0
    while True:
        page = (session.query(Task).filter(Task.project_id == project_id)
                .order_by(Task.id).offset(offset).limit(PAGE).all())
        if not page:
            return
        yield from page
        offset += PAGE


def tasks_csv(session: Session, project: Project) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "title", "status", "assignee", "due_date"])
    for task in iter_tasks(session, project.id):
        writer.writerow([task.id, task.title, task.status,
                         task.assignee.email if task.assignee else "", task.due_date or ""])
    return buffer.getvalue().encode()


@job(queue="exports", retries=3)
def run_export(session: Session, job_id: int) -> None:
    export = session.get(ExportJob, job_id)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for project in export.workspace.projects:
            zf.writestr(f"{project.slug}/tasks.csv", tasks_csv(session, project))
    url = upload_temporary(archive.getvalue(), days=7)
    export.download_url = url
    export.status = "done"
    session.commit()
