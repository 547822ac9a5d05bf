"""document-download: the pages where files sent by email are downloaded."""
