/* Page behaviour that used to sit in on*= attributes. The Content-Security-Policy runs no inline
   script, so markup only declares what it wants with data- attributes and this file does it. */
"use strict";

// <select data-submit-on-change>: submit its form when the choice changes (the language switcher).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change") && field.form) {
    field.form.submit();
  }
});

// <input data-select-on-click>: select the whole value on click, ready to copy (calendar feed URLs).
document.addEventListener("click", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-click")) {
    field.select();
  }
});
