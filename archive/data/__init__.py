"""The data: the declarative base, the engine and its sessions with their write locks, the
models (declarations only), the controlled vocabularies, the migration runner, revisioned
writes with the dataset version, stored rows as whole records (snapshots), fixity (the
digests of captures and of the revision log's chain, and their check), backups of every table
with their restore, and the one batching helper.

May import: nothing of the archive outside this package. Knows no Flask.
"""
