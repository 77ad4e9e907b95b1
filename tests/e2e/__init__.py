"""End-to-end harness: every real stand-in at once, and the real CLI sealed off from the outside."""
