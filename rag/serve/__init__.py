"""Serving: the JSON API (`api`) and its guards (`guard`), who sees what (`access`), the Gradio
UI (`ui` and `ui_*`, with its scripts and stylesheet in `static/`), the library's uploads and
removals (`library`) and the example questions (`suggest`). Nothing below imports it."""
