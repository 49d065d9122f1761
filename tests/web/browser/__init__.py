"""Browser tests: the archive served by `archive run`, driven by Chromium through Playwright."""
