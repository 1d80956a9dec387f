// Junction portal: small progressive enhancements. Every page works without this script;
// it only adds conveniences (a copy button for secrets shown once, live run status).
"use strict";
