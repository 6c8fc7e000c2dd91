"""The ground floor: settings, reference data and periods. Imports nothing of the project."""
