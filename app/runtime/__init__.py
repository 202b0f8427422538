"""The process's long-lived resources, as one typed object."""
