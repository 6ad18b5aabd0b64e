"""Service set-up pages for administrators: service teams and ticket categories (list, create, edit, deactivate
after a confirmation)."""
