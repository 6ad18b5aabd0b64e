"""The agent's screen (来电弹屏): a caller's number in, one round trip out (identity masked for the role, tier, value,
P(active), open tickets, the last contacts, consents, the next best offer); "log this call" in one click."""
