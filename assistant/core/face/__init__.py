"""Face verification on the device: detect (YuNet, or the Haar cascade as the no-model fallback), align
the five landmarks to the 112x112 ArcFace template, embed (SFace), L2-normalise in numpy and compare by
cosine with the enrolled template. The match threshold of each detector+embedder precision pair is the
factory's measurement (manifest), never a constant here.

Modules: frames (sources: camera, video file, image file, image folder), detector, align, embedder,
quality (is this frame good enough to enrol, in words), template (the enrolled face on disk), verifier
(the whole pipeline and its results), stream (the camera loop on its own thread).
"""
