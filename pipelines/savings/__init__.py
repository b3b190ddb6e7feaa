"""Savings simulations: replay request history through simulated caches and routers."""
