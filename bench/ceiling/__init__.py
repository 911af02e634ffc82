"""The ceiling: a bare Django project with one "hello" view, served like the site to bound what it can reach."""
