// The widget manager typesets a widget's label with MathJax 2's call, MathJax.Hub.Queue; the site
// loads MathJax 3, which has no Hub. This answers that call with MathJax 3's typesetting. It is
// loaded before the widget manager, so its "load" listener runs before the widgets are drawn,
// when MathJax 3 is already in place.
window.addEventListener("load", function () {
  var mathjax = window.MathJax;
  if (!mathjax || mathjax.Hub || !mathjax.typesetPromise) {
    return;
  }
  mathjax.Hub = {
    Queue: function (job) {
      var element = job && job[2];
      if (element) {
        mathjax.startup.promise
          .then(function () { return mathjax.typesetPromise([element]); })
          .catch(function (error) { console.warn("MathJax could not typeset a widget label:", error); });
      }
    },
  };
});
