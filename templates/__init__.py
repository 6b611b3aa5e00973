"""jinja2 templates of generated code (installed as package data of snngen)."""
