"""PDF reports: a shared foundation (fonts, page template, paged tables) and the
reports built on it. Reading a report's data is kept apart from drawing it, so the
desktop can preview the same figures the PDF prints."""
