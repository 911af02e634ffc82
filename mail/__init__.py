"""Email, knowing nothing of people: rendered in the language asked for, queued in the caller's transaction, delivered
by the task worker with the permanent/transient split."""
