"""Batch baking of RSMT transitions (`python main.py bake`): items from clips x styles x seeds x lengths or a
CSV (`bake.items`), computed on local processes or Ray tasks (`bake.worker`), written with a manifest
and resumable (`bake.run`). Qt-free."""
