"""The app's own data: where it lives (paths), how it is written (fileio, storage), settings, history, logs."""
