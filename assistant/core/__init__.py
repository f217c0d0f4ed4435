"""Pure-Python core: no Qt, no TensorFlow. Heavy runtimes are imported lazily."""
