"""The Places page (a file, so that `st.navigation` and AppTest.switch_page can address it)."""

from webapp import place_page

place_page.render()
