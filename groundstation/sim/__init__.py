"""The node simulator and the whole-loop simulation behind `groundstation sim run` and the demo."""
