"""Studies built on the Taylor test: the grid run, the step sweep, the bench, mutation testing."""
