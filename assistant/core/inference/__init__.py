"""Inference over LiteRT / TFLite with the manifest contract applied."""
