"""Offline model factory (the only package that imports TensorFlow)."""
