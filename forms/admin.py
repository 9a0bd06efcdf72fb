from django.contrib import admin

from forms.models import Form, LandingPage, Submission

admin.site.register(Form)
admin.site.register(LandingPage)
admin.site.register(Submission)
