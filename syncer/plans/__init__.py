"""Plans, run reports and checks as data (:mod:`~syncer.plans.model`), their JSON files
(:mod:`~syncer.plans.jsonfile`), and their renderers: terminal, Markdown and HTML.

Nothing here imports the engine: a document is made by the engine and read by renderers.
"""
