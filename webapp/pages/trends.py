"""The Trends page (a file, so that `st.navigation` and AppTest.switch_page can address it)."""

from webapp import trends_page

trends_page.render()
