"""Reports officials read, generated from the published release only."""
