"""Budgets (status, threshold alerts, what-if enforcement) and spend anomalies."""
