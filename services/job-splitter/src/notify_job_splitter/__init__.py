"""The job-splitter service."""
