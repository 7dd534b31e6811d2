"""Translation: engines, segmenting, masking, memory and the run loop."""
