"""Routing savings: what sending requests to cheaper models would have saved, with RouteLLM's
quality measures (policies, the offline scorer, the metrics, the replay and its report)."""
