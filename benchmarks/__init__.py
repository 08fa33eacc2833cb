"""What `mejora bench` runs: each figure beside a baseline measured in the same run."""
