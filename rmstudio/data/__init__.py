"""Import sources and schemas: files, dataset folders and Hub ids -> normalized rows; export; demo data."""
