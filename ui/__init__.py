"""The desktop: PySide6 windows, views, table models, dialogs and workers."""
