"""One test per finding of the security review (issue 14), named after what it protects."""
