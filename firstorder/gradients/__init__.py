"""Gradient backends: steps, stencils, finite differences, complex step, reference, peers."""
