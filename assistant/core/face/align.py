"""Five-point similarity alignment to the 112x112 crop the embedder was trained on (the ArcFace template).

The transform is the least-squares similarity (Umeyama) from the detected landmarks to the template,
the same one OpenCV's FaceRecognizerSF.alignCrop uses, so our crops match the reference crops the factory
verifies against.
"""

from __future__ import annotations

import numpy as np

CROP_SIZE = 112
# Right eye, left eye, nose tip, right and left mouth corner (the person's right: the image's left).
TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                     [70.7299, 92.2041]], dtype=np.float64)


def similarity_transform(src: np.ndarray, dst: np.ndarray = TEMPLATE) -> np.ndarray:
    """2x3 matrix of the similarity (rotation, uniform scale, translation) taking `src` points to `dst`."""
    src = np.asarray(src, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(dst, dtype=np.float64).reshape(-1, 2)
    n = len(src)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / n
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(cov) < 0:
        d[1] = -1.0
    rotation = u @ np.diag(d) @ vt
    variance = (src_c ** 2).sum() / n
    scale = float((s * d).sum() / variance) if variance > 0 else 1.0
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def align(frame_bgr: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The 112x112 BGR crop of the face whose five landmarks are given (bilinear, as the reference)."""
    import cv2

    matrix = similarity_transform(landmarks)
    return cv2.warpAffine(frame_bgr, matrix, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR)
