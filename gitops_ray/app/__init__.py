"""The controller process: settings, the poll loop, metrics and HTTP, leader election wiring."""
