"""Report: the files and texts people read (rendered/, drift/, review diffs). Pure."""
