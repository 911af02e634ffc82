"""The site's date formats (FORMAT_MODULE_PATH): one per language, "7 December 2026" and "7. Dezember 2026", with a
time "7 December 2026, 14:49"; the short formats are the same, so a page that asks for a short date shows this one."""
