from kehu.service.kb.segment import document_tokens, highlight_terms, query_tokens


def test_cjk_runs_become_unigrams_and_bigrams_and_latin_words_are_lowered():
    assert document_tokens("申请退款 VIP会员") == "申 请 退 款 申请 请退 退款 vip 会 员 会员"
    assert query_tokens("退款流程") == ["退款", "款流", "流程"]
    assert query_tokens("退") == ["退"]
    assert query_tokens("  \x00 ；；  ") == []
    assert query_tokens('"退款" OR NEAR(*') == ["退款", "or", "near"]
    assert len(query_tokens("退款" * 300)) <= 32
    assert highlight_terms("退款 流程 会员卡") == ["会员卡", "流程", "退款"]
