"""The read side: hybrid search over the storage interfaces, fusion, and the retriever."""
