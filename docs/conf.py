# Sphinx configuration for the lvs.cluster docs. docs/build.sh copies this file next to the
# generated reference (antsibull-docs) and the guides (Markdown, MyST) and runs sphinx-build.
# Offline by design: no intersphinx, no remote assets.

project = 'lvs.cluster'
copyright = 'lvs.cluster developers'
author = 'lvs.cluster developers'
title = 'lvs.cluster documentation'
html_short_title = 'lvs.cluster'
html_title = 'lvs.cluster documentation'

extensions = ['myst_parser', 'sphinx_antsibull_ext']

source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build']

myst_enable_extensions = ['colon_fence', 'deflist']
myst_heading_anchors = 3

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
html_copy_source = False
html_use_modindex = False
html_use_index = False
display_version = False
html_theme_options = {
    'collapse_navigation': False,
    'navigation_depth': 3,
}
html_context = {'display_github': False}

default_role = 'any'
nitpicky = False
