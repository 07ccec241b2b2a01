"""Running the study: its parameters and profiles, the papermill pipeline with its cache and
lock, the project's Jupyter kernel. Imports every layer below; nothing here trains a model."""
