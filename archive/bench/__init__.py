"""The benchmark (``archive bench``), the synthetic corpus (``archive corpus``) and the load
client: tools to measure the archive, which the app never imports (the command group registers
their commands by name and imports them only when they run).

May import: any part of the archive.
"""
