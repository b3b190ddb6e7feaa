"""A small Chrome DevTools Protocol client for the report's browser tests: start Debian's headless
Chromium, open a page, and collect what a person's browser would do with it (console errors,
uncaught exceptions, every network request), then evaluate JavaScript in the page and take a
screenshot. Only `websocket-client`; no Selenium driver, no browser download."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import websocket

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--remote-debugging-port=0"]


def chromium_path() -> str | None:
    return os.environ.get("LLMCOST_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")


@dataclass
class PageRun:
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    loaded: bool = False


class Browser:
    """One headless Chromium with its own throw-away profile; a context manager."""

    def __init__(self, width: int = 1280, height: int = 900):
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="llmcost-chromium-")
        self.process = subprocess.Popen(
            [chromium_path(), *FLAGS, f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = self._devtools_url()
        self.socket = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]

    def _devtools_url(self) -> str:
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                break
            seen.append(line)
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                return match.group(1)
        raise RuntimeError("chromium did not start: " + "".join(seen[-10:]))

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method: str, params: dict | None = None) -> dict:
        return self.send(method, params, self.session)

    def open(self, path: Path, settle_seconds: float = 0.3) -> PageRun:
        """Navigate to a local file and wait for its load event plus `settle_seconds`."""
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.page(f"{domain}.enable")
        self.page("Emulation.setDeviceMetricsOverride", {
            "width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})
        self.events.clear()
        self.page("Page.navigate", {"url": path.resolve().as_uri()})
        run = PageRun()
        deadline = time.monotonic() + 60
        settle_until = None
        self.socket.settimeout(0.2)
        try:
            while time.monotonic() < deadline:
                if settle_until and time.monotonic() > settle_until:
                    break
                try:
                    self.events.append(json.loads(self.socket.recv()))
                except websocket.WebSocketTimeoutException:
                    continue
                if self.events[-1].get("method") == "Page.loadEventFired" and not settle_until:
                    run.loaded = True
                    settle_until = time.monotonic() + settle_seconds
        finally:
            self.socket.settimeout(60)
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                run.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                                 "assert"):
                run.console_errors.append(json.dumps(params.get("args"))[:300])
            elif method == "Runtime.exceptionThrown":
                run.console_errors.append(json.dumps(params["exceptionDetails"])[:300])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                run.console_errors.append(params["entry"].get("text", "")[:300])
        return run

    def open_settle(self, seconds: float) -> None:
        """Let the page react (events are drained, not inspected)."""
        deadline = time.monotonic() + seconds
        self.socket.settimeout(0.1)
        try:
            while time.monotonic() < deadline:
                try:
                    self.socket.recv()
                except websocket.WebSocketTimeoutException:
                    continue
        finally:
            self.socket.settimeout(60)

    def evaluate(self, expression: str):
        result = self.page("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, target: Path, height: int | None = None) -> Path:
        params = {"format": "png"}
        if height:
            params["clip"] = {"x": 0, "y": 0, "width": self.width, "height": height, "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.page("Page.captureScreenshot", params)["data"]
        target.write_bytes(base64.b64decode(data))
        return target

    def close(self) -> None:
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":  # the README's screenshot: python tests/browser_cdp.py PAGE OUT.png
    import sys

    with Browser(1280, 900) as chrome:
        page_run = chrome.open(Path(sys.argv[1]))
        chrome.screenshot(Path(sys.argv[2]), height=1700)
        print(f"requests: {page_run.requests}; console errors: {page_run.console_errors}")
