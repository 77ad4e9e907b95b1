"""The commented estate-file template that `linkready init --estate` writes (format: tools/estate.py)."""

ESTATE_TEMPLATE = '''\
# linkready estate file: many targets judged in one run.
#   live:      linkready check --estate estate.toml     (each target's probes run, `concurrency` at a time)
#   snapshots: linkready evaluate --estate estate.toml  (saved facts, no connection made)
# Paths are relative to this file. Output: one folder per target plus estate.html/.json/-junit.xml.

[estate]
name = "contoso-prod"          # shown in the estate report (default: this file's name)
concurrency = 4                # targets in flight at once, 1-256
# profile = "pipeline"         # profile for every target that names none (default: preflight)

[[target]]                     # one table per SQL Server / managed instance pair
name = "sqlprod01"             # unique; also the folder of its report
config = "targets/sqlprod01.toml"   # a target file (see `linkready init`): probed live

[[target]]
name = "sqlprod02"
snapshot = "snapshots/sqlprod02.json"   # or saved facts (`linkready collect`): evaluated offline
# profile = "audit"            # this target only
'''
