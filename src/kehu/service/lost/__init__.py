"""Lost customers (客户流失): marking a customer lost with the reason, win-back tasks, "won back" when it buys again
or is marked current, and the lost rate by reason, tier and branch per month."""
