"""Pages, one module per part of the work; each view fetches through the access layer,
calls one service or selector, and renders."""
