"""Built-in profiles as TOML data (import name ``linkready.profiles``)."""
