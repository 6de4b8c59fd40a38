-- Knowledge is written rarely and searched with every bot answer: its GIN indexes take new
-- entries at once instead of in a pending list, which every search would otherwise scan until a
-- vacuum merged it (measured: 10,000 freshly added chunks made each search cost ~35 ms more).
ALTER INDEX knowledge_chunks_search SET (fastupdate = off);
ALTER INDEX faq_entries_search SET (fastupdate = off);
SELECT gin_clean_pending_list('knowledge_chunks_search'::regclass);
SELECT gin_clean_pending_list('faq_entries_search'::regclass);
